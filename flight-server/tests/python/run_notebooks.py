"""Runs Jupyter notebooks top to bottom as a notebook user would (nbclient, the venv's own
Python kernel), against the server at URI (given to the notebooks as $LAKESHORE_URI).
Stops at the first notebook with an error cell, printing the cell and its error.

    python run_notebooks.py URI NOTEBOOK...
"""

import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

# Long enough for a debug build's first query; a stuck cell still ends the run.
CELL_TIMEOUT_SECONDS = 120


def main() -> int:
    uri, notebooks = sys.argv[1], sys.argv[2:]
    os.environ["LAKESHORE_URI"] = uri
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(
            notebook,
            timeout=CELL_TIMEOUT_SECONDS,
            kernel_name="python3",
            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
        )
        try:
            client.execute()
        except CellExecutionError as error:
            print(f"{path}: a cell failed\n{error}", file=sys.stderr)
            return 1
        cells = sum(1 for cell in notebook.cells if cell.cell_type == "code")
        print(f"{path}: {cells} code cells ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
