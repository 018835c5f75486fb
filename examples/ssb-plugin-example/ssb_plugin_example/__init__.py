"""A SocialSignalBench plugin: importing it registers the feature `example_delta_mfcc` and the model `example_crnn`."""
from .feature import DeltaMfccParams, extract_delta_mfcc  # noqa: F401  (registers the feature)
from .model import CRNN, CrnnParams  # noqa: F401  (registers the model)
