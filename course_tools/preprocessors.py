"""The course's nbgrader/nbconvert preprocessors, configured in nbgrader_config.py: one for releasing
notebooks, a pair that keeps what the student saw in experiment cells through autograding, and one for
the feedback students receive. (The class-scale grader's own preprocessors, which run
only in its sandboxes, are in course_tools/grader/guard_cells.py.)"""
from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool

SUBMITTED = "course_submitted_outputs"  # cell metadata key between sanitizing and autograding
SUBMITTED_NOTE = ("[output as the student submitted it: graders see the full-length run the reflection "
                  "discusses, not this cell's shorter grading run]\n")


class ClearAllMetadata(ClearMetadataPreprocessor):
    """Release: nbconvert's ClearMetadataPreprocessor, applied to markdown and raw cells as well as code
    cells (JupyterLab stores e.g. `jp-MarkdownHeadingCollapsed` on markdown cells). Configured in
    nbgrader_config.py to keep only the metadata nbgrader and the notebook need, so that an executed or
    edited source releases the same bytes as a clean one."""

    def preprocess_cell(self, cell, resources, cell_index):
        if self.clear_cell_metadata and "metadata" in cell:
            cell.metadata = dict(self.nested_filter(cell.metadata.items(), self.preserve_cell_metadata_mask))
        return cell, resources


class ShortenTestTracebacks(NbGraderPreprocessor):
    """Feedback: reduce the traceback of a failed *test* cell to its last line, "ErrorName: message".

    A full traceback would print the lines of the (hidden) test that failed. The check helpers' messages
    say which check failed and why, which is what a student needs. Tracebacks in the student's own
    cells are left alone."""

    enabled = Bool(True, help="Shorten tracebacks of failed test cells in feedback").tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict, cell_index: int
                        ) -> tuple[NotebookNode, ResourcesDict]:
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


def _is_experiment(cell: NotebookNode) -> bool:
    """A code cell that is neither an answer nor a test: an experiment, a plot, a demonstration."""
    return cell.cell_type == "code" and "nbgrader" not in cell.get("metadata", {})


class KeepSubmittedOutputs(NbGraderPreprocessor):
    """Autograde, before ClearOutput: remember the outputs the student's own run left in each experiment cell.

    Autograding reruns every cell with the short grading budget, so the plots a reflection refers to would
    show the grading run, not the full run the student wrote about. Only experiment cells are kept (answer
    and test cells are graded on the rerun), and they earn no points, so nothing a student stores in them
    changes a grade."""

    enabled = Bool(True, help="Keep the submitted outputs of experiment cells").tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict, cell_index: int
                        ) -> tuple[NotebookNode, ResourcesDict]:
        if _is_experiment(cell) and cell.get("outputs"):
            cell.metadata[SUBMITTED] = [dict(output) for output in cell.outputs]
        return cell, resources


class RestoreSubmittedOutputs(NbGraderPreprocessor):
    """Autograde, after Execute: put the remembered outputs back in their experiment cells, after a one-line
    note, so the formgrader and the feedback show what the student saw. Cells the student never ran keep
    the grading run's outputs."""

    enabled = Bool(True, help="Show the submitted outputs of experiment cells after grading").tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict, cell_index: int
                        ) -> tuple[NotebookNode, ResourcesDict]:
        kept = cell.get("metadata", {}).pop(SUBMITTED, None)
        if kept and _is_experiment(cell):
            note = NotebookNode(output_type="stream", name="stdout", text=SUBMITTED_NOTE)
            cell.outputs = [note, *(NotebookNode(o) for o in kept)]
        return cell, resources
