"""The student view's nbgrader settings are the course's (nbgrader_config.py in the course folder).

`python3 course.py lab` roots the student's file browser at work/ and puts this folder on
JUPYTER_CONFIG_PATH. The Assignments tab reads its nbgrader config from the file browser's root and from
Jupyter's config path, not from the course folder, so this file loads the course's one from there.
"""
from pathlib import Path

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)
load_subconfig("nbgrader_config.py", path=str(Path(__file__).resolve().parents[3]))  # noqa: F821
