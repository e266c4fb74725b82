"""kfn as a Pivot server: KAZOO's `pivot` callflow node calls a function's URL with the call's
parameters and branches into the callflow it answers (docs/kazoo-compatibility.md §9)."""
