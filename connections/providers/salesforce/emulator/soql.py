"""A small, honest SOQL parser: SELECT fields (dotted relationship paths too) or COUNT(), FROM one object,
WHERE comparisons joined by AND or OR (parentheses to mix them), NOT, IN / NOT IN, LIKE, ORDER BY with
ASC/DESC and NULLS FIRST/LAST, LIMIT and OFFSET. String literals take the documented escapes (`\\'`, `\\\\`,
`\\n`...; `\\%` and `\\_` in LIKE). What it cannot read is a MALFORMED_QUERY pointing at the token, as
Salesforce's own errors do. Evaluation against an org is `querying.py`."""

from __future__ import annotations

from dataclasses import dataclass, field

from connections.providers.salesforce.emulator.soql_tokens import SoqlError, Token, tokenize

KEYWORDS = frozenset(
    {
        *("SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "ASC", "DESC"),
        *("NULLS", "FIRST", "LAST", "LIMIT", "OFFSET", "TRUE", "FALSE", "NULL", "GROUP", "HAVING", "WITH", "FOR"),
    }
)


@dataclass
class Path:
    parts: list[str]
    pos: int

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass
class Literal:
    kind: str  # string, number, boolean, null, date, datetime
    value: object
    pos: int
    chars: tuple = ()


@dataclass
class Condition:
    path: Path
    op: str  # = != < <= > >= LIKE IN NOT IN
    value: Literal | list[Literal]


@dataclass
class Junction:
    op: str  # AND / OR / NOT
    items: list


@dataclass
class Order:
    path: Path
    descending: bool = False
    nulls_last: bool | None = None


@dataclass
class Query:
    text: str
    sobject: str
    sobject_pos: int
    fields: list[Path] = field(default_factory=list)
    count: bool = False
    where: object = None
    order: list[Order] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None


class Parser:
    def __init__(self, text: str, *, mixed_junctions: str = "error"):
        self.text = text
        self.mixed_junctions = mixed_junctions  # "error", or "and_first" to rank AND above OR
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.current
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def unexpected(self, token: Token | None = None) -> SoqlError:
        token = token or self.current
        return SoqlError("MALFORMED_QUERY", f"unexpected token: '{token.shown()}'", token.pos)

    def accept(self, keyword: str) -> bool:
        if self.current.keyword == keyword:
            self.advance()
            return True
        return False

    def expect(self, keyword: str) -> Token:
        if self.current.keyword != keyword:
            raise self.unexpected()
        return self.advance()

    def punct(self, char: str) -> bool:
        if self.current.kind == "punct" and self.current.value == char:
            self.advance()
            return True
        return False

    def path(self) -> Path:
        token = self.current
        if token.kind != "path" or token.keyword in KEYWORDS:
            raise self.unexpected()
        self.advance()
        return Path(str(token.value).split("."), token.pos)

    # The statement -----------------------------------------------------------------------------------

    def parse(self) -> Query:
        if not self.text.strip():
            raise SoqlError("MALFORMED_QUERY", "SOQL statements cannot be empty or null")
        self.expect("SELECT")
        fields, count = [], False
        if self.current.keyword == "COUNT" and self.tokens[self.index + 1].value == "(":
            self.advance()
            self.advance()
            if not self.punct(")"):
                raise SoqlError(
                    "MALFORMED_QUERY", "only COUNT() is supported among aggregate functions", self.current.pos
                )
            count = True
        else:
            fields.append(self.path())
            while self.punct(","):
                fields.append(self.path())
        self.expect("FROM")
        sobject = self.current
        if sobject.kind != "path" or "." in str(sobject.value):  # `FROM Order`: a keyword may name the object
            raise self.unexpected()
        self.advance()
        query = Query(self.text, str(sobject.value), sobject.pos, fields, count)
        if self.accept("WHERE"):
            query.where = self.expression()
        if self.accept("ORDER"):
            self.expect("BY")
            query.order.append(self.order_item())
            while self.punct(","):
                query.order.append(self.order_item())
        if self.accept("LIMIT"):
            query.limit = self.integer()
        if self.accept("OFFSET"):
            query.offset = self.integer()
        if self.current.kind != "eof":
            raise self.unexpected()
        return query

    def integer(self) -> int:
        token = self.current
        if token.kind != "number" or not str(token.value).isdigit():
            raise self.unexpected()
        self.advance()
        return int(str(token.value))

    def order_item(self) -> Order:
        item = Order(self.path())
        if self.accept("DESC"):
            item.descending = True
        else:
            self.accept("ASC")
        if self.accept("NULLS"):
            if self.accept("LAST"):
                item.nulls_last = True
            else:
                self.expect("FIRST")
                item.nulls_last = False
        return item

    # Conditions --------------------------------------------------------------------------------------

    def expression(self):
        """Conditions joined by AND or OR. Mixing the two needs parentheses unless `mixed_junctions` is
        "and_first" (UNCONFIRMED which one Salesforce does; refusing keeps clients to the portable form)."""
        if self.mixed_junctions == "and_first":
            items = [self.conjunction()]
            while self.accept("OR"):
                items.append(self.conjunction())
            return items[0] if len(items) == 1 else Junction("OR", items)
        items, op = [self.unary()], ""
        while self.current.keyword in ("AND", "OR"):
            token = self.advance()
            if op and token.keyword != op:
                raise self.unexpected(token)
            op = token.keyword
            items.append(self.unary())
        return items[0] if len(items) == 1 else Junction(op, items)

    def conjunction(self):
        items = [self.unary()]
        while self.accept("AND"):
            items.append(self.unary())
        return items[0] if len(items) == 1 else Junction("AND", items)

    def unary(self):
        if self.accept("NOT"):
            return Junction("NOT", [self.unary()])
        if self.punct("("):
            inner = self.expression()
            if not self.punct(")"):
                raise self.unexpected()
            return inner
        return self.condition()

    def condition(self) -> Condition:
        path = self.path()
        token = self.current
        if token.kind == "op":
            self.advance()
            return Condition(path, "!=" if token.value == "<>" else str(token.value), self.literal())
        if self.accept("LIKE"):
            return Condition(path, "LIKE", self.literal())
        negated = self.accept("NOT")
        if self.accept("IN"):
            if not self.punct("("):
                raise self.unexpected()
            values = [self.literal()]
            while self.punct(","):
                values.append(self.literal())
            if not self.punct(")"):
                raise self.unexpected()
            return Condition(path, "NOT IN" if negated else "IN", values)
        raise self.unexpected()

    def literal(self) -> Literal:
        token = self.advance()
        if token.kind == "string":
            return Literal("string", token.value, token.pos, token.chars)
        if token.kind == "number":
            text = str(token.value)
            return Literal("number", float(text) if "." in text else int(text), token.pos)
        if token.kind in ("date", "datetime"):
            return Literal(token.kind, token.value, token.pos)
        if token.keyword in ("TRUE", "FALSE"):
            return Literal("boolean", token.keyword == "TRUE", token.pos)
        if token.keyword == "NULL":
            return Literal("null", None, token.pos)
        raise self.unexpected(token)


def parse(text: str) -> Query:
    return Parser(text).parse()
