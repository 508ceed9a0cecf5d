import { useState } from "react";

/** Copies text to the clipboard; falls back to selecting it where the Clipboard API is absent. */
export function CopyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      onClick={() => {
        const done = () => setCopied(true);
        if (navigator.clipboard) {
          navigator.clipboard.writeText(text).then(done, () => setCopied(false));
        } else {
          const area = document.createElement("textarea");
          area.value = text;
          document.body.appendChild(area);
          area.select();
          document.execCommand("copy");
          area.remove();
          done();
        }
      }}
    >
      {copied ? "Copied" : "Copy"}
    </button>
  );
}
