"""The demo (`make demo`, `python -m demo`): the connector synced the way PyAirbyte users run it.

PyAirbyte (PyPI ``airbyte``) cannot share the project venv: it pins its own airbyte-cdk,
pandas and SQL drivers (~780 MB) and needs Python < 3.13. It lives in ``.venv-pyairbyte``
and is driven through ``demo/pyairbyte_sync.py``, which runs there.

Modules: ``venv`` (create and reuse ``.venv-pyairbyte``), ``sync`` (run one PyAirbyte sync
into a DuckDB file, run ``check`` with the console script), ``checks`` (the sandbox's ground truth
per table; was a second sync incremental), ``report`` (what the demo prints). The sandbox
as a child process is ``braze_sandbox.process``.
"""
