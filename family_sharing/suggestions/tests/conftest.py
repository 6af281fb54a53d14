import datetime as dt

import pytest

from family_sharing.tests.conftest import family, near_relatives_policy, relation_codes  # noqa: F401


@pytest.fixture
def daughter_and_parents(near_relatives_policy):  # noqa: F811
    """王秀英 (1975, employee with a personal account, the sharer) and her registry parents 王德顺
    and 李桂兰, and her younger brother 王建军; none of them typed anywhere."""
    from family_sharing.tests.factories import parent_edge, person, sharer

    daughter = sharer(name="王秀英", birth=dt.date(1975, 3, 8), male=False)
    father, mother = person(1946, name="王德顺"), person(1948, male=False, name="李桂兰")
    brother = person(1979, name="王建军")
    for parent in (father, mother):
        parent_edge(parent, daughter)
        parent_edge(parent, brother)
    return {"daughter": daughter, "father": father, "mother": mother, "brother": brother}
