import { NOTE_BODY_MAX_CODE_UNITS, NOTE_TITLE_MAX_CODE_UNITS } from "@mp-auth/contract";
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { Button, Input, Text, Textarea, View } from "@tarojs/components";
import Taro, { usePullDownRefresh, useReachBottom } from "@tarojs/taro";
import { useState } from "react";
import { busyProps } from "../../components/busy-props";
import { ErrorPanel } from "../../components/error-panel";
import { ProblemBanner, type ShownProblem } from "../../components/problem-banner";
import { SignedOutPanel } from "../../components/signed-out-panel";
import type { Note, NoteInputs } from "../../services/api";
import { formatDateTime } from "../../services/format";
import { trpc } from "../../services/trpc";
import { userFacingError } from "../../services/user-facing-error";
import { useSessionState } from "../../state/app-session";
import { noteDraftRefusal, type NoteDraft } from "./note-draft";
import { allNotes, patchNote, PENDING_ID_PREFIX, prependNote, removeNote } from "./note-pages";
import "./index.css";

/**
 * The example feature's page: the user's notes, newest first, a page at a time (useInfiniteQuery
 * over notes.list; useReachBottom loads the next page, usePullDownRefresh reloads), and create /
 * edit / delete shown at once (optimistic: the cache is changed in onMutate, put back in onError,
 * and the list is read again from the server in onSettled). Every failure is shown by its action.
 */

/** notes.list's input; the same object makes the cache key the mutations update. */
const LIST_INPUT = { limit: 20 };

export default function NotesPage() {
  const sessionState = useSessionState();
  const signedIn = sessionState.status === "signed-in";
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<NoteDraft>({ title: "", body: "" });
  const [editing, setEditing] = useState<(NoteDraft & { id: string }) | null>(null);
  const [shown, setShown] = useState<ShownProblem | null>(null);

  const listOptions = trpc.notes.list.infiniteQueryOptions(LIST_INPUT, {
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    // Not before sign-in: a query would log in by itself, even after the user logged out.
    enabled: signedIn,
  });
  const list = useInfiniteQuery(listOptions);
  const notes = allNotes(list.data);

  usePullDownRefresh(() => {
    void list.refetch().finally(() => Taro.stopPullDownRefresh());
  });
  useReachBottom(() => {
    if (list.hasNextPage && !list.isFetchingNextPage) void list.fetchNextPage();
  });

  /**
   * The optimistic-update steps every mutation of this page shares: stop a list fetch in flight
   * (it would overwrite the change), apply `change` to the cached pages, put them back on error,
   * read the list again either way.
   */
  function optimistic<TInput>(change: (input: TInput) => typeof list.data) {
    return {
      onMutate: async (input: TInput) => {
        setShown(null);
        await queryClient.cancelQueries({ queryKey: listOptions.queryKey });
        const previous = queryClient.getQueryData(listOptions.queryKey);
        queryClient.setQueryData(listOptions.queryKey, change(input));
        return { previous };
      },
      onError: (error: unknown, input: TInput, context: { previous: typeof list.data } | undefined) => {
        if (context) queryClient.setQueryData(listOptions.queryKey, context.previous);
        console.error("[mp-auth]", error);
      },
      onSettled: () => queryClient.invalidateQueries(trpc.notes.list.pathFilter()),
    };
  }

  const cached = () => queryClient.getQueryData(listOptions.queryKey);

  const createNote = useMutation(
    trpc.notes.create.mutationOptions({
      ...optimistic((input: NoteInputs["create"]) => {
        const now = new Date().toISOString();
        const note = { id: `${PENDING_ID_PREFIX}${now}`, title: input.title, body: input.body ?? "" };
        return prependNote(cached(), { ...note, createdAt: now, updatedAt: now });
      }),
      onSuccess: () => setDraft({ title: "", body: "" }),
    }),
  );
  const updateNote = useMutation(
    trpc.notes.update.mutationOptions(
      optimistic((input: NoteInputs["update"]) =>
        patchNote(cached(), input.id, { title: input.title, body: input.body, updatedAt: new Date().toISOString() }),
      ),
    ),
  );
  const deleteNote = useMutation(
    trpc.notes.delete.mutationOptions(optimistic((input: NoteInputs["delete"]) => removeNote(cached(), input.id))),
  );

  /**
   * Sends a mutation; a failure is shown by its action, with a retry that sends the same input
   * again. `done` names a refusal that means the wish is already fulfilled.
   */
  function send<TInput>(
    mutate: (input: TInput, options: { onError: (error: unknown) => void }) => void,
    input: TInput,
    done?: (reason: string) => boolean,
  ) {
    mutate(input, {
      onError: (error) => {
        const problem = userFacingError(error, "note");
        if (done?.(problem.reason)) return;
        setShown({ problem, retry: problem.action === "retry" ? () => send(mutate, input, done) : undefined });
      },
    });
  }

  function submitDraft() {
    const refusal = noteDraftRefusal(draft);
    if (refusal) setShown({ problem: refusal });
    else send(createNote.mutate, { title: draft.title.trim(), body: draft.body.trim() });
  }

  function saveEdit() {
    if (!editing) return;
    const refusal = noteDraftRefusal(editing);
    if (refusal) {
      setShown({ problem: refusal });
      return;
    }
    send(updateNote.mutate, { id: editing.id, title: editing.title.trim(), body: editing.body.trim() });
    setEditing(null);
  }

  if (sessionState.status === "signed-out") return <SignedOutPanel id="notes-signed-out" />;

  return (
    <View id="notes-page" className="page">
      <View className="panel note-form">
        <NoteFields ids={["note-title-input", "note-body-input"]} draft={draft} onChange={setDraft} />
        <Button
          id="note-create"
          className="button"
          type="primary"
          {...busyProps(createNote.isPending, createNote.isPending || !signedIn)}
          onClick={submitDraft}
        >
          添加笔记
        </Button>
      </View>

      {shown ? <ProblemBanner id="notes-problem" shown={shown} /> : null}

      {list.isPending ? (
        <View id="notes-loading" className="panel status-text">
          正在加载…
        </View>
      ) : null}

      {list.isError && !list.data ? (
        <ErrorPanel id="notes-error" error={userFacingError(list.error, "note")} onRetry={() => void list.refetch()} />
      ) : null}

      {list.isSuccess && notes.length === 0 ? (
        <View id="notes-empty" className="panel status-text">
          还没有笔记，写下第一条吧
        </View>
      ) : null}

      <View id="note-list" className="note-list">
        {notes.map((note) =>
          editing?.id === note.id ? (
            <View key={note.id} id={`note-${note.id}`} className="panel note-item note-editing">
              <NoteFields
                ids={["note-edit-title", "note-edit-body"]}
                draft={editing}
                onChange={(edited) => setEditing({ ...editing, ...edited })}
              />
              <View className="note-actions">
                <Button id="note-save" className="mini-button" size="mini" type="primary" onClick={saveEdit}>
                  保存
                </Button>
                <Button id="note-cancel" className="mini-button" size="mini" onClick={() => setEditing(null)}>
                  取消
                </Button>
              </View>
            </View>
          ) : (
            <NoteItem
              key={note.id}
              note={note}
              onEdit={() => setEditing({ id: note.id, title: note.title, body: note.body })}
              // Already gone (deleted on another device, or an answer that was lost): done.
              onDelete={() => send(deleteNote.mutate, { id: note.id }, (reason) => reason === "NOT_FOUND")}
            />
          ),
        )}
      </View>

      {list.isSuccess && notes.length > 0 ? (
        <View id="notes-more" className="status-text notes-more">
          {list.isFetchingNextPage ? "正在加载更多…" : list.hasNextPage ? "上拉加载更多" : "没有更多了"}
        </View>
      ) : null}
    </View>
  );
}

/** A note's title and body fields, sized by the contract's limits (the form and the edit in place). */
function NoteFields(props: { ids: [string, string]; draft: NoteDraft; onChange: (draft: NoteDraft) => void }) {
  const { ids, draft, onChange } = props;
  return (
    <>
      <Input
        id={ids[0]}
        className="note-input"
        placeholder="标题"
        maxlength={NOTE_TITLE_MAX_CODE_UNITS}
        value={draft.title}
        onInput={(event) => onChange({ ...draft, title: event.detail.value })}
      />
      <Textarea
        id={ids[1]}
        className="note-textarea"
        placeholder="内容（可不填）"
        maxlength={NOTE_BODY_MAX_CODE_UNITS}
        value={draft.body}
        onInput={(event) => onChange({ ...draft, body: event.detail.value })}
      />
    </>
  );
}

function NoteItem({ note, onEdit, onDelete }: { note: Note; onEdit: () => void; onDelete: () => void }) {
  const pending = note.id.startsWith(PENDING_ID_PREFIX);
  return (
    <View id={`note-${note.id}`} className={pending ? "panel note-item note-pending" : "panel note-item"}>
      <Text className="note-title">{note.title}</Text>
      {note.body ? <Text className="note-body">{note.body}</Text> : null}
      <View className="note-footer">
        <Text className="note-meta">{pending ? "正在保存…" : formatDateTime(note.updatedAt)}</Text>
        {pending ? null : (
          <View className="note-actions">
            <Button className="mini-button note-edit" size="mini" onClick={onEdit}>
              编辑
            </Button>
            <Button className="mini-button note-delete" size="mini" type="warn" onClick={onDelete}>
              删除
            </Button>
          </View>
        )}
      </View>
    </View>
  );
}
