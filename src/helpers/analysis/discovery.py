"""Machine-assisted discovery that stays honest: topic suggestions, code
suggestions for uncoded turns, and a map of participants by their codes.

Nothing here writes into the codings: every result is a suggestion for the
researcher to review, with the evidence for it (cross-validated scores, the
share of a topic's turns that existing codes already cover).

Counting rules shared by every function here
--------------------------------------------
* **Participant turns** are segments with ``speaker_role == 'participant'``.
  Interviewer and other turns never enter a topic model or a classifier.
* **Words** are ``helpers.textutil.tokens``: annotations (``[laughs]``,
  ``(pause)``) out, the study's fillers (``study.config.fillers``, else
  ``helpers.ingest.config.DEFAULT_FILLERS``) and stop words (the project list plus
  ``study.config.stopwords``) removed, and redaction placeholders are no words
  (``textutil.PLACEHOLDER_RULE``).
* **A turn carries a code** when a coding of it (any coder), rolled up to
  ``level`` first when a level is given, touches the turn: a coding touches
  turns ``seg_first`` .. ``seg_last`` of its document (DESIGN §4, unit
  ``segment``).
* **Codes** are the codebook's codes at ``level`` in codebook order that at
  least one coding carries, then applied codes the codebook lacks, by name.
"""
from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.analysis.discovery_suggestions import (
    SCORE_COLUMNS,
    CodeSuggestions,
    code_suggestions,
    write_suggestions,
)
from helpers.analysis.discovery_topics import TopicModel, topic_number_curve, topics
from helpers.analysis.discovery_turns import MAP_RULE, MIN_PREDICTED, THEME, UNCOVERED_BELOW, analyzer, state_rule
from helpers.counting import check_choice, default_level, levels_of
from helpers.errors import TooFew
from helpers.study import Study, labels_of

# The public names, defined here (the participant map) or in discovery_turns (shared building
# blocks), discovery_topics (1. topic suggestions) and discovery_suggestions (2. code suggestions);
# importable from this module as before the split.
__all__ = ["MIN_PREDICTED", "SCORE_COLUMNS", "THEME", "UNCOVERED_BELOW", "CodeSuggestions", "ParticipantClusters",
           "ParticipantMap", "TopicModel", "analyzer", "code_profiles", "code_suggestions", "jaccard_distances",
           "participant_clusters", "participant_map", "topic_number_curve", "topics", "write_suggestions"]


# -- 3. participant map -------------------------------------------------------------

@dataclass
class ParticipantMap:
    """``coords``: participant_id, pseudonym, x, y, n_codes, then the
    participants' attributes; ``distances``: Jaccard distances (square);
    ``level`` the level used; ``stress`` of the MDS fit; ``n_participants`` every
    participant of the study, of whom ``len(coords)`` are drawn (the others have no
    passage at the level, so nothing to place them by)."""

    coords: pd.DataFrame
    distances: pd.DataFrame
    level: str | None
    stress: float
    method: str = "mds"
    n_participants: int | None = None

    def shown_note(self) -> str:
        """How many participants the map draws of how many, and why not all.

        Returns
        -------
        str
            "" when every participant is drawn; else e.g. "3 of 4 participants are drawn: 1 has
            no passage at level 'theme' (a participant is placed by their codes, so one without
            any cannot be placed)."
        """
        total = self.n_participants
        drawn = len(self.coords)
        if total is None or drawn >= total:
            return ""
        missing = total - drawn
        level = f"level '{self.level}'" if self.level else "any code as applied"
        return (f"{drawn} of {total} participants are drawn: {missing} {'has' if missing == 1 else 'have'} no "
                f"passage at {level} (a participant is placed by their codes, so one without any cannot be "
                f"placed).")


@dataclass
class ParticipantClusters:
    """Average-linkage clustering on Jaccard distances: ``linkage`` (scipy
    format), ``order`` (participant ids, dendrogram leaf order), ``labels``
    (their pseudonyms) and ``distances``."""

    linkage: np.ndarray
    order: list[str]
    labels: list[str]
    distances: pd.DataFrame
    level: str | None


def code_profiles(study: Study, level: str | None = THEME) -> tuple[pd.DataFrame, str | None]:
    """Participants x codes presence (0/1, as ``themes.theme_matrix``), for
    participants with at least one code; and the level used.

    The default level 'theme' falls back to codes as applied (None) when no
    coding rolls up to a theme, so any study can be mapped.

    Parameters
    ----------
    study : Study
        The study (``helpers.load_study``).
    level : str or None
        Level of the codes (default "theme", or the study's top level when it has no "theme").

    Returns
    -------
    tuple of (DataFrame, str or None)
        Participants × codes presence (0/1, index participant_id), and the level used.

    Raises
    ------
    TooFew
        No participant has a coding at the level.
    """
    from helpers.analysis.themes import theme_matrix

    if level == THEME and THEME not in levels_of(study):
        # the study's own top level (issue 12, point 3); codes as applied when it has one level
        level = default_level(study, "top") if len(levels_of(study)) > 1 else None
    presence = theme_matrix(study, level=level, value="presence")
    if level == THEME and presence.to_numpy().sum() == 0:
        level = None
        presence = theme_matrix(study, level=None, value="presence")
    presence = presence.loc[presence.sum(axis=1) > 0]
    if presence.empty:
        raise TooFew(f"no participant has a coding at level {level!r}; choose another level")
    return presence, level


def jaccard_distances(presence: pd.DataFrame) -> pd.DataFrame:
    """Jaccard distance between participants' code sets:
    1 − |A ∩ B| / |A ∪ B| (scipy.spatial.distance, 'jaccard').

    Parameters
    ----------
    presence : DataFrame
        Participants × codes, 0/1 (``code_profiles``).

    Returns
    -------
    DataFrame
        Square, participants × participants (both indexed as ``presence``), distances 0–1.
    """
    from scipy.spatial.distance import pdist, squareform

    values = presence.to_numpy().astype(bool)
    square = squareform(pdist(values, metric="jaccard")) if len(values) > 1 else np.zeros((len(values),) * 2)
    return pd.DataFrame(square, index=presence.index.copy(), columns=presence.index.copy())


def participant_map(study: Study, level: str | None = THEME, method: str = "mds", seed: int = 0,
                    n_init: int = 4) -> ParticipantMap:
    """Participants placed so that those with similar code sets sit close.

    Profile: presence of each code at ``level`` (see ``code_profiles``);
    distance: Jaccard on those sets; placement: metric MDS on the precomputed
    distances (sklearn, ``random_state=seed``, ``n_init`` starts, the best
    kept). Axes have no meaning of their own, only distances do.

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    level : str or None, default "theme"
        The level of the codes (codings below rolled up); None: codes as applied.
    method : str, default "mds"
        Only "mds".
    seed : int, default 0
        ``random_state`` of the MDS.
    n_init : int, default 4
        MDS starts.

    Returns
    -------
    ParticipantMap
        ``coords`` (one row per participant with a passage at the level: x, y unitless,
        n_codes, attributes), ``distances`` (participants x participants, Jaccard 0–1),
        ``level``, ``stress``, ``n_participants`` (every participant; ``shown_note()`` says
        how many are drawn of how many, and why).

    Raises
    ------
    ValueError
        ``method`` other than "mds".
    """
    check_choice(method, ("mds",), "method")
    presence, used = code_profiles(study, level)
    distances = jaccard_distances(presence)
    xy, stress = _mds(distances.to_numpy(), seed, n_init)
    ids = [str(i) for i in presence.index]
    coords = pd.DataFrame({"participant_id": ids, "pseudonym": labels_of(study, ids),
                           "x": xy[:, 0], "y": xy[:, 1], "n_codes": presence.sum(axis=1).to_numpy()})
    attributes = study.participants.drop(columns=[c for c in ("pseudonym",) if c in study.participants])
    attributes = attributes.assign(participant_id=attributes["participant_id"].astype(str)).drop_duplicates(
        "participant_id")
    coords = coords.merge(attributes, on="participant_id", how="left")
    state_rule(MAP_RULE, coords, distances)
    total = int(study.participants["participant_id"].astype(str).nunique()) if len(study.participants) else len(ids)
    return ParticipantMap(coords, distances, used, stress, method, max(total, len(ids)))


def _mds(distances: np.ndarray, seed: int, n_init: int) -> tuple[np.ndarray, float]:
    from sklearn.manifold import MDS

    n = len(distances)
    if n and not distances.any():
        return np.zeros((n, 2)), 0.0          # identical code sets: one point
    if n < 3:
        # One point sits at 0; two sit their distance apart on the x axis.
        xy = np.zeros((n, 2))
        if n == 2:
            xy[1, 0] = distances[0, 1]
        return xy, 0.0
    params = inspect.signature(MDS).parameters
    kwargs = {"n_components": 2, "random_state": seed, "n_init": n_init, "max_iter": 1000}
    if "metric_mds" in params:      # scikit-learn >= 1.8 renamed the arguments
        kwargs.update(metric="precomputed", init="random", metric_mds=True)
    else:
        kwargs.update(dissimilarity="precomputed")
    model = MDS(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=FutureWarning)
        xy = model.fit_transform(distances)
    return xy, float(model.stress_)


def participant_clusters(study: Study, level: str | None = THEME) -> ParticipantClusters:
    """Hierarchical clustering of participants: average linkage (UPGMA) on
    the Jaccard distances of their code sets (see ``participant_map``);
    leaves in scipy's optimal order (neighbours most alike).

    Parameters
    ----------
    study, level
        As ``code_profiles``.

    Returns
    -------
    ParticipantClusters
        The linkage, the participants in leaf order with their labels, the distances and the level used.

    Raises
    ------
    TooFew
        As ``code_profiles``.
    """
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    presence, used = code_profiles(study, level)
    distances = jaccard_distances(presence)
    ids = [str(i) for i in presence.index]
    if len(ids) < 2:
        return ParticipantClusters(np.zeros((0, 4)), ids, labels_of(study, ids), distances, used)
    tree = linkage(squareform(distances.to_numpy(), checks=False), method="average", optimal_ordering=True)
    order = [ids[i] for i in leaves_list(tree)]
    return ParticipantClusters(tree, order, labels_of(study, order), distances, used)
