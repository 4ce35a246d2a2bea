"""The admin names every column in the reader's language (issue 17, item 4c): each
field of each model of the package has a translatable verbose name, and the
migration that gave them changes no table."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.db import connection, migrations
from django.db.migrations.loader import MigrationLoader
from django.utils import translation
from django.utils.functional import Promise

from django_twostep.models import UserThrottle
from django_twostep.testing import enroll_totp, login_verified

MODELS = list(apps.get_app_config("django_twostep").get_models())
# (model name, field name) whose German name is rightly the English one (none yet).
SAME_IN_GERMAN: frozenset[tuple[str, str]] = frozenset()
NAMES_MIGRATION = "0005_verbose_names"


def own_fields(model):
    return [field for field in model._meta.concrete_fields if not field.auto_created]


def test_the_package_has_models_from_every_method():
    names = {model.__name__ for model in MODELS}
    assert {"TOTPDevice", "EmailDevice", "RecoveryCodeDevice", "WebAuthnCredential"} <= names


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_every_field_has_a_translatable_verbose_name(model):
    """Explicit and marked for translation: Django's own default is a plain str made
    from the field's name."""
    plain = [
        field.name for field in own_fields(model) if not isinstance(field.verbose_name, Promise)
    ]
    assert plain == []
    untranslatable_help = [
        field.name
        for field in own_fields(model)
        if field.help_text and not isinstance(field.help_text, Promise)
    ]
    assert untranslatable_help == []
    assert isinstance(model._meta.verbose_name, Promise)
    assert isinstance(model._meta.verbose_name_plural, Promise)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_every_field_name_reads_differently_in_german(model):
    """Every name is in the catalogue; today none reads the same in German. A name
    that should (an acronym) goes in SAME_IN_GERMAN."""
    with translation.override("de"):
        german = {field.name: str(field.verbose_name) for field in own_fields(model)}
    with translation.override("en"):
        english = {field.name: str(field.verbose_name) for field in own_fields(model)}
    same = [name for name in german if german[name] == english[name]]
    assert [name for name in same if (model.__name__, name) not in SAME_IN_GERMAN] == []


def test_the_names_migration_only_changes_options():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    migration = loader.get_migration("django_twostep", NAMES_MIGRATION)
    assert migration.operations
    assert all(isinstance(op, migrations.AlterField) for op in migration.operations)


def test_the_names_migration_alters_no_column():
    """What ``sqlmigrate`` asks of every backend before writing SQL for an AlterField:
    whether anything but non-database options (verbose name, help text) changed.
    No for each, so no backend emits a statement (``sqlmigrate`` shows "(no-op)")."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    migration = loader.get_migration("django_twostep", NAMES_MIGRATION)
    before = loader.project_state(("django_twostep", "0004_webauthn"), at_end=True)
    after = loader.project_state(("django_twostep", NAMES_MIGRATION), at_end=True)
    editor = connection.schema_editor(collect_sql=True)  # not entered: runs nothing
    altered = []
    for op in migration.operations:
        old = before.apps.get_model("django_twostep", op.model_name)._meta.get_field(op.name)
        new = after.apps.get_model("django_twostep", op.model_name)._meta.get_field(op.name)
        assert old.column == new.column
        if editor._field_should_be_altered(old, new):
            altered.append(f"{op.model_name}.{op.name}")
    assert altered == []


@pytest.mark.django_db
@pytest.mark.urls("tests.urls")
def test_admin_column_headers_are_the_verbose_names(client, admin_user, twostep_clock):
    enroll_totp(admin_user)  # the admin is only for verified sessions
    admin = login_verified(client, admin_user)
    response = admin.get("/admin/django_twostep/userthrottle/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    headers = re.findall(
        r'<th scope="col" class="[^"]*column-(\w+)[^"]*">.*?<a [^>]*>([^<]+)</a>',
        response.content.decode(),
        re.S,
    )
    found = dict(headers)
    with translation.override("de"):
        expected = {
            name: str(UserThrottle._meta.get_field(name).verbose_name).capitalize()
            for name in ("failures", "locked_until")
        }
    for name, text in expected.items():
        assert found[name].strip().lower() == text.lower()
    assert found["failures"].strip() != "Failures"  # not the field's name
