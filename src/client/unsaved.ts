// Asks before the user leaves a page whose form they changed, as the Django client did; not
// when the library itself navigates on expiry, nor when the form is being submitted.

function changed(element: Element): boolean {
  if (element instanceof HTMLInputElement) {
    return /^(checkbox|radio)$/.test(element.type)
      ? element.checked !== element.defaultChecked
      : element.value !== element.defaultValue;
  }
  if (element instanceof HTMLTextAreaElement) return element.value !== element.defaultValue;
  if (element instanceof HTMLSelectElement) {
    return [...element.options].some((option) => option.selected !== option.defaultSelected);
  }
  return false;
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
