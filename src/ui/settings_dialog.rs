//! The settings dialog: every setting with its check, kept in localStorage.
//!
//! A value is checked by `core::settings` as it is typed; a refused one keeps
//! its sentence beside the field and changes nothing.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::core::settings::Settings;
use crate::ui::state::AppState;
use crate::web::stored_settings::save_settings;

#[component]
pub fn SettingsDialog() -> impl IntoView {
    let settings = expect_context::<AppState>().settings;
    let open = RwSignal::new(false);
    let errors = RwSignal::new(HashMap::<&'static str, String>::new());
    let change = move |field: &'static str, value: String| {
        let mut next = settings.get_untracked();
        let result = next.set(field, &value).and_then(|()| {
            match next.validate().into_iter().find(|(f, _)| *f == field) {
                Some((_, sentence)) => Err(sentence),
                None => Ok(()),
            }
        });
        match result {
            Ok(()) => {
                save_settings(&next);
                settings.set(next);
                errors.update(|e| {
                    e.remove(field);
                });
            }
            Err(sentence) => errors.update(|e| {
                e.insert(field, sentence);
            }),
        }
    };
    view! {
        <button data-testid="settings-open" type="button" aria-haspopup="dialog"
            on:click=move |_| open.update(|o| *o = !*o)>"Settings"</button>
        <Show when=move || open.get()>
            <div class="dialog" role="dialog" aria-label="Settings" data-testid="settings"
                on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
                <h2>"Settings"</h2>
                <div class="fields">
                    {Settings::fields().iter().map(|&(field, label)| view! {
                        <label class="field">
                            <span>{label} <em class="hint">{Settings::hint(field)}</em></span>
                            <input name=field data-testid=format!("setting-{field}")
                                prop:value=move || settings.with(|s| s.get(field))
                                on:change=move |ev| change(field, event_target_value(&ev)) />
                            <small class="error" role="alert">
                                {move || errors.with(|e| e.get(field).cloned().unwrap_or_default())}
                            </small>
                        </label>
                    }).collect_view()}
                </div>
                <button type="button" on:click=move |_| open.set(false)>"Close"</button>
            </div>
        </Show>
    }
}
