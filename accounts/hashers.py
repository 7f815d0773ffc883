"""Password hashing: Argon2id with OWASP's recommended minimum cost.

Django's default Argon2 settings (100 MiB, 2 passes, 8 lanes) cost about 195 ms of CPU per login
on our 2-core servers, which limits a node to ~10 logins a second and makes the first morning of
the submission week queue at the login page (bench/load.py). OWASP's Password Storage Cheat Sheet
gives 19 MiB, 2 passes, 1 lane as the minimum for Argon2id (about 22 ms here). Hashes made with
other parameters still verify and are rehashed with these at the next login (must_update).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class OWASPArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
