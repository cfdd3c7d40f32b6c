"""Imported by the fork server that worker processes are forked from (``pipeline.run.Extraction``): it loads the
rules and the model once there, so that every worker starts with them (shared until written, copy-on-write)
instead of spending 1.5 s loading its own. Workers are replaced every few hundred articles, so that matters."""

from .run import prepare_worker

prepare_worker()
