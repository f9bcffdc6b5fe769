#!/usr/bin/python3
"""The example site's manage.py: python3 manage.py runserver."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eosite.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
