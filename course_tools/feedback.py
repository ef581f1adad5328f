"""nbgrader preprocessors for the feedback students receive."""
from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool


class ShortenTestTracebacks(NbGraderPreprocessor):
    """Reduce the traceback of a failed *test* cell to its last line, "ErrorName: message".

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
