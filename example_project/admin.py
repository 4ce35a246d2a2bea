"""The example site's user admin offers django-twostep's reset action."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from django_twostep.admin import reset_two_step_login

User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class ExampleUserAdmin(UserAdmin):
    actions = [reset_two_step_login]
