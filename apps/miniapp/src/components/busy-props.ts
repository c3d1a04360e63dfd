/**
 * `loading`/`disabled` only when true: on H5 a `disabled={false}` still reaches the DOM as an
 * attribute and the button is drawn greyed out.
 */
export function busyProps(loading: boolean, disabled: boolean): { loading?: true; disabled?: true } {
  return { ...(loading ? { loading: true } : {}), ...(disabled ? { disabled: true } : {}) };
}
