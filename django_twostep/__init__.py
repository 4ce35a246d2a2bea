"""django-twostep: two-step login for Django sites and their DRF APIs."""

__version__ = "0.1.0.dev0"
