import { useEffect, useState, type FormEvent } from 'react';
import { navigate, searchUrl } from '../routes';

/** The header's search: names in every folder, answered on the results page (/search?q=). */
export function SearchBox({ current }: { current: string | null }) {
  const [text, setText] = useState(current ?? '');
  // Back and forward between searches show the words of the page on screen.
  useEffect(() => {
    if (current !== null) setText(current);
  }, [current]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim() !== '') navigate(searchUrl(text.trim()));
  };
  return (
    <form role="search" className="search-box" onSubmit={submit}>
      <input type="search" name="q" value={text} onChange={(event) => setText(event.target.value)} aria-label="Search all files by name" placeholder="Search all files" maxLength={255} />
      <button type="submit">Search</button>
    </form>
  );
}
