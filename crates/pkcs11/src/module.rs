//! Loading a PKCS#11 module once per process, and finding a token in it by label.
//!
//! `C_Initialize` may be called once per module and process; a second context for the same
//! library would fail (`CKR_CRYPTOKI_ALREADY_INITIALIZED`) or, worse, finalize the first one
//! when dropped. So every key of one module shares one context, kept for the process' life.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::slot::Slot;

use crate::Error;

/// The module at `path`, loaded and initialized on first use.
pub(crate) fn load(path: &Path) -> Result<Pkcs11, Error> {
    static MODULES: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let modules = MODULES.get_or_init(Default::default);
    let mut modules = modules
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(module) = modules.get(path) {
        return Ok(module.clone());
    }
    let load_error = |reason: String| Error::ModuleLoad {
        path: path.display().to_string(),
        reason,
    };
    let module = Pkcs11::new(path).map_err(|e| load_error(e.to_string()))?;
    match module.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(load_error(format!("C_Initialize: {e}"))),
    }
    modules.insert(path.to_owned(), module.clone());
    Ok(module)
}

/// The slot holding the token labelled `label` (labels are compared without their padding).
pub(crate) fn find_token(module: &Pkcs11, label: &str) -> Result<Slot, Error> {
    let slots = module
        .get_slots_with_token()
        .map_err(|e| Error::token("C_GetSlotList", e))?;
    let mut present = Vec::new();
    for slot in slots {
        let info = module
            .get_token_info(slot)
            .map_err(|e| Error::token("C_GetTokenInfo", e))?;
        let found = info.label().trim_end();
        if found == label.trim_end() {
            return Ok(slot);
        }
        present.push(found.to_owned());
    }
    Err(Error::TokenNotFound {
        label: label.to_owned(),
        present,
    })
}
