"""Running a parsed SOQL query against an org: the object and every field path resolved (INVALID_TYPE,
INVALID_FIELD with Salesforce's wording), literals checked against field types, rows filtered, sorted, cut by
OFFSET and LIMIT, and rendered with `attributes` first and relationship fields as nested records."""

from __future__ import annotations

import re
from dataclasses import dataclass

from connections.providers.salesforce.emulator import errors, ids
from connections.providers.salesforce.emulator.schema import NUMBER_TYPES, Field, SObjectType
from connections.providers.salesforce.emulator.soql import Junction, Literal, Path, Query, SoqlError
from connections.providers.salesforce.emulator.values import parse_datetime

MAX_OFFSET = 2000
TEXT = frozenset({"string", "textarea", "phone", "url", "email", "picklist", "id", "reference"})
_EXPECTED = {"boolean": "boolean", "date": "date", "datetime": "datetime"}


@dataclass
class Resolved:
    """A field path: the lookups walked (`Owner` of OwnerId...) and the field at the end."""

    path: Path
    hops: list[tuple[Field, SObjectType]]  # (lookup field, the type it points at)
    field: Field
    sobject: SObjectType


def error_body(error: SoqlError, text: str, *, context: bool) -> list[dict]:
    """`[{"message", "errorCode"}]`; with `context`, the message starts with the query, a caret under the token
    and `ERROR at Row:R:Column:C`, the form Salesforce's SOQL errors take (setting `soql_error_context`)."""
    message = error.message
    if context and error.pos is not None:
        before = text[: error.pos]
        row = before.count("\n") + 1
        column = error.pos - (before.rfind("\n") + 1) + 1
        line = text.split("\n")[row - 1]
        message = f"\n{line}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n{message}"
    return [{"message": message, "errorCode": error.code}]


class QueryRun:
    def __init__(self, org, query: Query, *, include_deleted: bool, prefix: str):
        self.org, self.query, self.include_deleted, self.prefix = org, query, include_deleted, prefix
        self.sobject = org.sobject(query.sobject)
        if self.sobject is None:
            message = f"sObject type '{query.sobject}' is not supported." + errors.CUSTOM_OBJECT_HINT
            raise SoqlError("INVALID_TYPE", message, query.sobject_pos)
        self.fields = []
        for path in query.fields:
            resolved = self.resolve(path)
            if all(r.path.text.lower() != path.text.lower() for r in self.fields):
                self.fields.append(resolved)
        if query.offset is not None and query.offset > MAX_OFFSET:
            raise SoqlError("NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}")
        self.where = self.prepare(query.where) if query.where is not None else None
        self.order = [(self.resolve(item.path), item) for item in query.order]

    def resolve(self, path: Path) -> Resolved:
        sobject, hops = self.sobject, []
        for part in path.parts[:-1]:
            lookup = sobject.reference(part)
            target = self.org.sobject(lookup.reference_to) if lookup else None
            if target is None:
                message = f"Didn't understand relationship '{part}' in field path." + errors.CUSTOM_RELATIONSHIP_HINT
                raise SoqlError("INVALID_FIELD", message, path.pos)
            hops.append((lookup, target))
            sobject = target
        field = sobject.field(path.parts[-1])
        if field is None:
            message = f"No such column '{path.parts[-1]}' on entity '{sobject.name}'." + errors.CUSTOM_FIELD_HINT
            raise SoqlError("INVALID_FIELD", message, path.pos)
        return Resolved(path, hops, field, sobject)

    # WHERE ---------------------------------------------------------------------------------------------

    def prepare(self, node):
        """The condition tree with each path resolved and each literal checked and converted."""
        if isinstance(node, Junction):
            return Junction(node.op, [self.prepare(item) for item in node.items])
        resolved = self.resolve(node.path)
        values = node.value if isinstance(node.value, list) else [node.value]
        converted = [self.literal(resolved.field, value, node.op) for value in values]
        return (resolved, node.op, converted if isinstance(node.value, list) else converted[0], node)

    def literal(self, field: Field, literal: Literal, op: str):
        if literal.kind == "null":
            return None
        kind = field.type
        if op == "LIKE":
            if literal.kind != "string":
                raise SoqlError("MALFORMED_QUERY", "invalid LIKE pattern", literal.pos)
            pattern = "".join(
                (".*" if c == "%" else "." if c == "_" else re.escape(c)) if not escaped else re.escape(c)
                for c, escaped in literal.chars
            )
            return re.compile(pattern, re.IGNORECASE | re.DOTALL)
        if kind in TEXT:
            if literal.kind != "string":
                raise self.type_error(field, "string", literal, quoted=True)
            if kind in ("id", "reference"):
                normalized = ids.normalize(literal.value)
                if normalized is None:
                    raise SoqlError("INVALID_QUERY_FILTER_OPERATOR", f"invalid ID field: {literal.value}", literal.pos)
                return normalized
            return str(literal.value)
        expected = "number" if kind in NUMBER_TYPES else _EXPECTED.get(kind, kind)
        if literal.kind != expected:
            raise self.type_error(field, kind, literal, quoted=False)
        if kind == "datetime":
            return parse_datetime(str(literal.value))
        return literal.value

    @staticmethod
    def type_error(field: Field, kind: str, literal: Literal, *, quoted: bool) -> SoqlError:
        how = "should be enclosed in quotes" if quoted else "should not be enclosed in quotes"
        message = f"value of filter criterion for field '{field.name}' must be of type {kind} and {how}"
        return SoqlError("INVALID_FIELD", message, literal.pos)

    def test(self, node, record: dict) -> bool:
        if isinstance(node, Junction):
            if node.op == "NOT":
                return not self.test(node.items[0], record)
            results = (self.test(item, record) for item in node.items)
            return all(results) if node.op == "AND" else any(results)
        resolved, op, wanted, _ = node
        value = self.comparable(resolved, self.value(resolved, record))
        if op == "LIKE":
            return value is not None and wanted.fullmatch(str(value)) is not None
        if op in ("IN", "NOT IN"):
            found = any(value == self.comparable(resolved, w) for w in wanted)
            return found if op == "IN" else not found
        wanted = self.comparable(resolved, wanted)
        if op == "=":
            return value == wanted
        if op == "!=":
            return value != wanted
        if value is None or wanted is None:
            return False
        return {"<": value < wanted, "<=": value <= wanted, ">": value > wanted, ">=": value >= wanted}[op]

    @staticmethod
    def comparable(resolved: Resolved, value):
        if value is None:
            return None
        if resolved.field.type in TEXT and resolved.field.type not in ("id", "reference"):
            return str(value).casefold()
        if resolved.field.type == "datetime" and isinstance(value, str):
            return parse_datetime(value)
        return value

    # Values and rows -----------------------------------------------------------------------------------

    def target(self, resolved: Resolved, record: dict) -> dict | None:
        for lookup, target in resolved.hops:
            record = self.org.records[target.name].get(record.get(lookup.name) or "")
            if record is None:
                return None
        return record

    def value(self, resolved: Resolved, record: dict):
        found = self.target(resolved, record)
        return None if found is None else self.org.value(resolved.sobject, found, resolved.field.name)

    def rows(self) -> list[dict]:
        rows = [
            r
            for r in self.org.records[self.sobject.name].values()
            if (self.include_deleted or not r.get("IsDeleted")) and (self.where is None or self.test(self.where, r))
        ]
        for resolved, item in reversed(self.order):
            nulls_last = item.nulls_last if item.nulls_last is not None else item.descending
            present = [r for r in rows if self.value(resolved, r) is not None]
            absent = [r for r in rows if self.value(resolved, r) is None]
            present.sort(key=lambda r, res=resolved: self.sort_key(res, r), reverse=item.descending)
            rows = present + absent if nulls_last else absent + present
        start = self.query.offset or 0
        end = None if self.query.limit is None else start + self.query.limit
        return rows[start:end]

    def sort_key(self, resolved: Resolved, record: dict):
        value = self.comparable(resolved, self.value(resolved, record))
        return (0, value) if isinstance(value, int | float) and not isinstance(value, bool) else (1, str(value))

    def render(self, record: dict) -> dict:
        body = {
            "attributes": {"type": self.sobject.name, "url": self.org.url(self.sobject.name, record["Id"], self.prefix)}
        }
        for resolved in self.fields:
            node, current = body, record
            for lookup, target in resolved.hops:
                name = lookup.relationship
                current = self.org.records[target.name].get(current.get(lookup.name) or "") if current else None
                if current is None:
                    node.setdefault(name, None)
                    break
                if not isinstance(node.get(name), dict):
                    url = self.org.url(target.name, current["Id"], self.prefix)
                    node[name] = {"attributes": {"type": target.name, "url": url}}
                node = node[name]
            else:
                node[resolved.field.name] = self.org.value(resolved.sobject, current, resolved.field.name)
        return body


def run(org, query: Query, *, include_deleted: bool, prefix: str) -> tuple[int, list[dict]]:
    """(totalSize, rendered records); COUNT() queries have no records."""
    plan = QueryRun(org, query, include_deleted=include_deleted, prefix=prefix)
    rows = plan.rows()
    if query.count:
        return len(rows), []
    return len(rows), [plan.render(r) for r in rows]
