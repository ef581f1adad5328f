"""`python -m course_tools.grader ...`: see course_tools/grader/__init__.py."""
import sys

from course_tools.grader.cli import main

sys.exit(main())
