"""Diffusion and flow matching (chapter 07): the maths (:mod:`.process`), the velocity networks, the models.

Import from here: ``from helpers.models import flow``; ``flow.LatentFlow``, ``flow.process.euler``, ...
"""

from . import process
from .model import SAMPLERS, FlowMatcher, LatentFlow, PixelFlow
from .networks import TimeFeatures, build_latent_mlp, build_tiny_unet
from .training import (
                       LATENT_SETTINGS,
                       PIXEL_SETTINGS,
                       SAMPLING,
                       build_recipe_model,
                       compile_flow,
                       fit_flow,
                       fit_latent_flow,
                       fit_recipe_model,
                       generate_recipe_samples,
                       point_batches,
)

__all__ = ["LATENT_SETTINGS", "PIXEL_SETTINGS", "SAMPLERS", "SAMPLING", "FlowMatcher", "LatentFlow", "PixelFlow",
           "TimeFeatures", "build_latent_mlp", "build_recipe_model", "build_tiny_unet", "compile_flow", "fit_flow",
           "fit_latent_flow", "fit_recipe_model", "generate_recipe_samples", "point_batches", "process"]
