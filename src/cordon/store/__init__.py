"""The record store. Importing the package registers every table with the models' metadata."""

from cordon.store import account_models as account_models
