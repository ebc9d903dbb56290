"""Impact models, the engine, baseline paths, evaluation, analogs, reports and the CLI."""
