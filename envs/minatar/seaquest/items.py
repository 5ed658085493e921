"""Python lists of game objects as fixed-capacity arrays, with the list operations Seaquest's reference uses.

A list is an integer array `(capacity, attributes)` (one row per object: x, y, moving
right, timers) and a count `n`; rows keep the list's order in 0..n-1 and empty rows
hold zeros, as the reference adapter writes them. The operations follow CPython
exactly, including the reference's `list.remove(item)`, which removes the first item
*equal* to `item`, not necessarily the one being looked at.
"""

from __future__ import annotations

import jax.numpy as jnp

X, Y, RIGHT, MOVE, SHOT = range(5)  # attribute columns, in the reference's item order


def live(rows, n):
    """Mask of the rows that hold an object."""
    return jnp.arange(rows.shape[0]) < n


def put(rows, i, item, when):
    """Row `i` set to `item` where `when` holds."""
    return rows.at[i].set(jnp.where(when, item, rows[i]))


def delete_at(rows, n, j, when):
    """`del list[j]` where `when` holds: later rows shift up, the freed last row is zeroed. Returns (rows, n)."""
    slots = jnp.arange(rows.shape[0])
    src = jnp.where(slots >= j, jnp.minimum(slots + 1, rows.shape[0] - 1), slots)
    shifted = jnp.where((slots < n - 1)[:, None], rows[src], 0)
    return jnp.where(when, shifted, rows), n - when.astype(n.dtype)


def remove(rows, n, item, when):
    """`list.remove(item)` where `when` holds: deletes the first row equal to `item`. Returns (rows, n, index removed)."""
    equal = live(rows, n) & jnp.all(rows == item, axis=1)
    j = jnp.argmax(equal)
    rows, n = delete_at(rows, n, j, when & jnp.any(equal))
    return rows, n, j


def append(rows, n, item, when):
    """`list.append(item)` where `when` holds (dropped when full; the port's capacities are above reachable lengths)."""
    room = when & (n < rows.shape[0])
    return put(rows, jnp.minimum(n, rows.shape[0] - 1), item, room), n + room.astype(n.dtype)


def first_at(rows, n, x, y):
    """(found, index) of the first object at cell (x, y), as `for z in list: if z[0:2] == [x, y]` finds it."""
    hit = live(rows, n) & (rows[:, X] == x) & (rows[:, Y] == y)
    return jnp.any(hit), jnp.argmax(hit)


def stepped(item, when):
    """`item` moved one cell in its direction where `when` holds."""
    return item.at[X].add(jnp.where(when, jnp.where(item[RIGHT] != 0, 1, -1), 0))


def off_screen(item):
    """Past the left or right edge."""
    return (item[X] < 0) | (item[X] > 9)
