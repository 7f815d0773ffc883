"""The API's views, one module per part of the product: items (drafting, co-signing, review,
assignment, 办结), handling (a unit's steps), replies (drafting to evaluation), notifications and
the public portal. Each write: fetch through the permission function, validate the input's
shape, call one service function, answer with the changed object."""
