"""Functions of the API's edge: answers for requests no use case serves."""
