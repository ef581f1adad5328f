"""nbgrader configuration for the course (read by every `nbgrader ...` command run from this folder,
and by the Validate button and assignment list when JupyterLab is started with `python3 course.py lab`).

Layout: solutions/<day>/<day>.ipynb is the nbgrader *source*; notebooks/<day>/<day>.ipynb is the
student *release*. The gradebook, submitted/, autograded/, feedback/ and exported grades are created
next to this file and are ignored by git.
"""
import os
from pathlib import Path

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)
ROOT = Path(__file__).resolve().parent

# --- where things live --------------------------------------------------------------------
c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.course_id = "seqmodels"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.db_url = os.environ.get("COURSE_GRADEBOOK", f"sqlite:///{ROOT / 'gradebook.db'}")
# The exchange (release/fetch/submit/collect). Must be writable by everyone who uses it; on a
# shared server point COURSE_EXCHANGE at e.g. /srv/nbgrader/exchange.
c.Exchange.root = os.environ.get("COURSE_EXCHANGE", str(ROOT / ".exchange"))
Path(c.Exchange.root).mkdir(parents=True, exist_ok=True)

# --- release: identical bytes whether or not the source notebook was executed --------------
c.ClearAllMetadata.enabled = True
c.ClearAllMetadata.clear_cell_metadata = True
c.ClearAllMetadata.clear_notebook_metadata = True
c.ClearAllMetadata.preserve_cell_metadata_mask = {"nbgrader", "deletable", "editable", "tags"}
c.ClearAllMetadata.preserve_nb_metadata_mask = {"kernelspec", ("language_info", "name")}
c.GenerateAssignment.preprocessors = [
    "course_tools.release.ClearAllMetadata",
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# --- execution (validate, autograde) -------------------------------------------------------
# Training cells shorten themselves when NBGRADER_EXECUTION is set (course_lib.runtime.budget),
# so no single cell of a correct notebook needs more than a few seconds here.
c.Execute.timeout = 60
c.ExecutePreprocessor.timeout = 60
# A correct answer whose test cell prints a Python warning to stderr keeps its marks.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"\w*Warning: "

# --- feedback: no hidden-test code, no tracebacks that reveal it ---------------------------
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "course_tools.feedback.ShortenTestTracebacks",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# --- collecting from an LMS download (`nbgrader zip_collect <day>`) -------------------------
# Put the LMS's zip file(s) in downloaded/<day>/archive/. File names must start with the student id
# and an underscore and end with the notebook name; LMS ids and a resubmission suffix are skipped:
#   alice_day01_rnn.ipynb, smithj_LATE_48213_1187_day01_rnn-1.ipynb  ->  submitted/<id>/<day>/<day>.ipynb
c.FileNameCollectorPlugin.named_regexp = (
    r"(?:.*/)?(?P<student_id>[^/_]+)_(?:LATE_)?(?:\d+_)*(?P<file_id>day\d\d_\w+?)(?:-\d+)?\.ipynb$"
)
