"""Placeholder: being built in this session."""


def register(sub, add_database_options) -> None:
    pass
