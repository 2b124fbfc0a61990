"""BotFolio: multi-user AI portfolio trading bots, built to be operated in production."""

__version__ = "0.1.0"
