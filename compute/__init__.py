"""The science: reproducible experiments, their protocol, registry and figures.

Plain Python and PyTorch. Nothing here imports Django, so experiments run the
same from the command line (`python -m compute`), a Celery worker or a test.
"""
