"""The surfaces over the library: record batches (JSON Lines contracts, CSV/TSV columns), output formats, the
corpus audit, and the REST service with its web page. The command line is cabletags.cli; Dask and scikit-learn
adapters are cabletags.dask and cabletags.sklearn."""
