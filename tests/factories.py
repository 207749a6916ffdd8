import factory
from django.contrib.auth import get_user_model

from connections.models import Connection, Integration, Membership, Tenant


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.SelfAttribute("username")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Tenant {n}")
    slug = factory.Sequence(lambda n: f"tenant-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.OWNER


class ConnectionFactory(factory.django.DjangoModelFactory):
    """A connection to the test source provider registered in tests/conftest.py."""

    class Meta:
        model = Connection

    tenant = factory.SubFactory(TenantFactory)
    provider = "testsource"
    label = factory.Sequence(lambda n: f"Connection {n}")
    access_token = factory.Sequence(lambda n: f"access-token-{n}")
    refresh_token = factory.Sequence(lambda n: f"refresh-token-{n}")


class IntegrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Integration

    tenant = factory.SubFactory(TenantFactory)
    kind = "test_flow"
    source = factory.SubFactory(ConnectionFactory, tenant=factory.SelfAttribute("..tenant"))
    target = factory.SubFactory(ConnectionFactory, tenant=factory.SelfAttribute("..tenant"), provider="testtarget")
