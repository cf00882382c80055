"""The generative models lab: a VAE and a GAN trained live on small grayscale images.

Headless like the rest of ``workbench.core``: data, models, the trainer generator,
persistence, image grids and the classifier that scores samples.
"""
