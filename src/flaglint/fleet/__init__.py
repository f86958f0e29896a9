"""Flag debt across many repositories: where each repository is, what each scan found (kept by
commit in a DuckDB store), and the organisation-wide report. The scans run as Dask tasks; the
functions here take and return plain data, and the `fleet` face only translates."""
