// Asks before the user leaves a page whose form they changed, as the Django client did; not
// when the library itself navigates on expiry, nor when the form is being submitted.

function changed(element: Element): boolean {
  const field = element as HTMLInputElement & HTMLSelectElement;
  if (field.options) return [...field.options].some((o) => o.selected !== o.defaultSelected);
  if (/^(checkbox|radio)$/.test(field.type)) return field.checked !== field.defaultChecked;
  return 'defaultValue' in field && field.value !== field.defaultValue;
}

/** Whether any form of the page holds a value the user changed. */
export function hasChangedForm(): boolean {
  return [...document.forms].some((form) => [...form.elements].some(changed));
}

/** Installs the guard; `leaving()` says the library is navigating. Returns the uninstaller. */
export function guardUnsavedForms(leaving: () => boolean): () => void {
  let submitting = false;
  const onSubmit = (event: Event) => {
    submitting = !event.defaultPrevented;
  };
  const onBeforeUnload = (event: BeforeUnloadEvent) => {
    if (submitting || leaving() || !hasChangedForm()) return;
    event.preventDefault();
    event.returnValue = ''; // older Chromium asks only when returnValue is set
  };
  addEventListener('submit', onSubmit);
  addEventListener('beforeunload', onBeforeUnload);
  return () => {
    removeEventListener('submit', onSubmit);
    removeEventListener('beforeunload', onBeforeUnload);
  };
}
