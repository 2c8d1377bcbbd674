// Asks before the user leaves a page whose form they changed, as the Django client did; not
// when the library itself navigates on expiry, nor when the form is being submitted.

/** Whether the user changed this form field since the page loaded (the drafts code keeps those). */
export function fieldChanged(field: HTMLInputElement & HTMLSelectElement): boolean {
  // A single select with no option marked `selected` shows its first one: that is no change.
  if (field.options) {
    return [...field.options].some(
      (o) => o.selected !== o.defaultSelected && (o.index || !o.selected || field.multiple),
    );
  }
  if (/^(checkbox|radio)$/.test(field.type)) return field.checked !== field.defaultChecked;
  return 'defaultValue' in field && field.value !== field.defaultValue;
}

/** Whether any form of the page holds a value the user changed. */
export function hasChangedForm(): boolean {
  return [...document.forms].some((form) =>
    ([...form.elements] as (HTMLInputElement & HTMLSelectElement)[]).some(fieldChanged),
  );
}

/** Installs the guard until `signal` aborts; `leaving()` says the library is navigating. */
export function guardUnsavedForms(leaving: () => boolean, signal: AbortSignal): void {
  let submitting = false;
  addEventListener(
    'submit',
    (event) => {
      submitting = !event.defaultPrevented;
    },
    { signal },
  );
  addEventListener(
    'beforeunload',
    (event) => {
      if (submitting || leaving() || !hasChangedForm()) return;
      event.preventDefault();
      event.returnValue = ''; // older Chromium asks only when returnValue is set
    },
    { signal },
  );
}
