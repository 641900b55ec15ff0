"""Youth justice board metrics: the pure-Python engine behind the dashboard (no Streamlit).

Read the workbook (:mod:`reading`), validate it (:mod:`validation`), store snapshots
(:mod:`store`), and compute the YJB indicators (:mod:`indicators`, :mod:`kpis`),
disproportionality (:mod:`disproportionality`) and the board pack (:mod:`report`).
"""

__version__ = "0.1.0"
