"""nbgrader configuration for the course (read by every `nbgrader ...` command run from this folder,
and by the Validate button and assignment list when JupyterLab is started with `python3 course.py lab`).

Layout: solutions/<day>/<day>.ipynb is the nbgrader *source*; notebooks/<day>/<day>.ipynb is the
student *release*. The gradebook, submitted/, autograded/, feedback/ and exported grades are created
next to this file and are ignored by git.
"""
import importlib.util
import os
from pathlib import Path

import nbgrader

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
# Where the Assignments tab (and `nbgrader fetch_assignment` / `submit`) keeps a student's copies.
# `python3 course.py lab` sets COURSE_WORK to the student's working folder (work/), the root of its file
# browser. nbgrader's default, kept when COURSE_WORK is unset (e.g. a JupyterHub server started in the
# student's home), is the server's working directory: under course.py that is the course folder, where
# fetched notebooks sat outside the file browser and Submit sent a copy the student never edited.
if os.environ.get("COURSE_WORK"):
    c.Exchange.assignment_dir = str((ROOT / os.environ["COURSE_WORK"]).resolve())

# --- the student bundle of a graded class (python3 course.py bundle) -------------------------------
# Days whose answers students may see. course_lib holds the reference answer of every exercise; in the
# bundle an instructor hands out (and the JupyterHub student image), the references of every day NOT listed
# here are stubs that raise an error naming the exercise. Add a day once its deadline has passed, then
# rebuild the bundle. A clone of the repository (self-study) is open-book whatever this says.
c.StudentBundle.unlocked_days = []

# --- release: identical bytes whether or not the source notebook was executed --------------
c.ClearAllMetadata.enabled = True
c.ClearAllMetadata.clear_cell_metadata = True
c.ClearAllMetadata.clear_notebook_metadata = True
c.ClearAllMetadata.preserve_cell_metadata_mask = {"nbgrader", "deletable", "editable", "tags"}
c.ClearAllMetadata.preserve_nb_metadata_mask = {"kernelspec", ("language_info", "name")}
c.GenerateAssignment.preprocessors = [
    "course_tools.preprocessors.ClearAllMetadata",
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
# Training cells shorten themselves when NBGRADER_EXECUTION is set (course_lib.notebook.runtime.budget),
# so no single cell of a correct notebook needs more than a few seconds here.
c.Execute.timeout = 60
c.ExecutePreprocessor.timeout = 60
# A correct answer whose test cell prints a Python warning to stderr keeps its marks.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"\w*Warning: "

# --- autograde: the formgrader and the feedback show the experiment cells as the student ran them -------
# (full-length plots for the reflection), while answers and tests are graded on the rerun.
c.Autograde.sanitize_preprocessors = [
    "course_tools.preprocessors.KeepSubmittedOutputs",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute",
    "nbgrader.preprocessors.IgnorePattern",
    "course_tools.preprocessors.RestoreSubmittedOutputs",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# --- feedback: no hidden-test code, no tracebacks that reveal it ---------------------------
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "course_tools.preprocessors.ShortenTestTracebacks",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# --- MathJax without a network --------------------------------------------------------------
# nbgrader's feedback and formgrader templates load MathJax from a CDN; offline, equations stay raw
# LaTeX. course_tools/templates/ overrides the `mathjax` macro: feedback HTML carries MathJax 3 inline
# (it must render wherever the file is opened: from disk, an LMS download, the Assignments tab), and
# the formgrader loads the MathJax 2 that the jupyter-server-mathjax extension serves from the server.
# The templates of this folder's course_tools/, else of the installed course_tools (a copy of this file
# elsewhere); find_spec, not import: a config file that fails to load would leave nbgrader on defaults.
_tools = importlib.util.find_spec("course_tools")
_templates = [p for p in (ROOT / "course_tools" / "templates",
                          Path(_tools.origin).parent / "templates" if _tools and _tools.origin else None)
              if p is not None and p.is_dir()]
if _templates:
    c.HTMLExporter.extra_template_basedirs = [
        str(_templates[0]), str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates")]
    c.HTMLExporter.filters = {"inline_mathjax": "course_tools.mathjax.inline_mathjax"}

# --- collecting from an LMS download (`nbgrader zip_collect <day>`) -------------------------
# Put the LMS's zip file(s) in downloaded/<day>/archive/. File names must start with the student id
# and an underscore and end with the notebook name; LMS ids and a resubmission suffix are skipped:
#   alice_day01_rnn.ipynb, smithj_LATE_48213_1187_day01_rnn-1.ipynb  ->  submitted/<id>/<day>/<day>.ipynb
c.FileNameCollectorPlugin.named_regexp = (
    r"(?:.*/)?(?P<student_id>[^/_]+)_(?:LATE_)?(?:\d+_)*(?P<file_id>day\d\d_\w+?)(?:-\d+)?\.ipynb$"
)
