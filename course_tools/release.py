"""nbgrader preprocessors for releasing notebooks."""
from __future__ import annotations

from nbconvert.preprocessors import ClearMetadataPreprocessor


class ClearAllMetadata(ClearMetadataPreprocessor):
    """nbconvert's ClearMetadataPreprocessor, applied to markdown and raw cells as well as code cells
    (JupyterLab stores e.g. `jp-MarkdownHeadingCollapsed` on markdown cells). Configured in
    nbgrader_config.py to keep only the metadata nbgrader and the notebook need, so that an executed or
    edited source releases the same bytes as a clean one."""

    def preprocess_cell(self, cell, resources, cell_index):
        if self.clear_cell_metadata and "metadata" in cell:
            cell.metadata = dict(self.nested_filter(cell.metadata.items(), self.preserve_cell_metadata_mask))
        return cell, resources
