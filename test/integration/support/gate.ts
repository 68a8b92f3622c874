/** A promise a test opens when it chooses: holds a transaction open while the test acts beside it. */
export type Gate = { readonly opened: Promise<void>; open(): void };

export function gate(): Gate {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}
