# On the server's path in test_dask_lsp.py: Dask's distributed as if it were not installed.
raise ModuleNotFoundError("No module named 'distributed'", name="distributed")
