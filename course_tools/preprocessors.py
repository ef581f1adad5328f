"""The course's nbgrader/nbconvert preprocessors, configured in nbgrader_config.py: one for releasing
notebooks, one for the feedback students receive. (The class-scale grader's own preprocessors, which run
only in its sandboxes, are in course_tools/grader/guard_cells.py.)"""
from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool


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
