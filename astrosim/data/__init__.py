"""Real datasets for the task models: fetched from packages or official sources, checksummed, cached."""
from astrosim.data.store import ChecksumError, DataNotFoundError, data_dir

__all__ = ["ChecksumError", "DataNotFoundError", "data_dir"]
