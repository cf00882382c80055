"""The Generative lab: VAE and GAN settings, curves and image grids."""
