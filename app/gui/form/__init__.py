"""The household form: one page per questionnaire section, built from the schema.

Views hold layout; the logic they share lives in small helpers (`text`, `issues`, `keys`,
`nikfill`). Nothing here touches the store: the controller saves what `HouseholdForm.record()`
returns.
"""

from app.gui.form.household_form import HouseholdForm

__all__ = ["HouseholdForm"]
