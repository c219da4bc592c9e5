"""Errors a user can cause. The CLI prints them as one line and exits 2; the service answers 4xx."""


class UserError(Exception):
    """Bad input, bad config, an unreachable endpoint, a missing checkpoint: the user can fix it."""


class InputError(UserError):
    """An input file (image, text file, manifest) cannot be used."""
