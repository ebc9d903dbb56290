"""The sensitivity analysis of ``[sensitivity]``: its config, plan, designs, samples and indices."""
