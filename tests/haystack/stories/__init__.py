"""A small Django app of wire stories, indexed through django-haystack (the backend's tests)."""
