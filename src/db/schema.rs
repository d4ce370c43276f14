// Written by hand to match migrations/{sqlite,postgres}; `tests/api/schema.rs` checks that
// both migration sets produce exactly these tables and columns.

diesel::table! {
    orgs (id) {
        id -> BigInt,
        name -> Text,
        name_key -> Text,
        kind -> Text,
        region -> Text,
        is_exchange -> Bool,
        verified_at -> Nullable<Timestamp>,
        verified_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        org_id -> BigInt,
        email -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Text,
        is_active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        session_epoch -> BigInt,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        family_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    invitations (id) {
        id -> BigInt,
        org_id -> BigInt,
        email -> Text,
        role -> Text,
        token_hash -> Text,
        invited_by -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        accepted_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        entity -> Text,
        entity_id -> Nullable<BigInt>,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        subject -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    achievements (id) {
        id -> BigInt,
        org_id -> BigInt,
        created_by -> BigInt,
        status -> Text,
        title -> Text,
        summary -> Text,
        details -> Text,
        contact -> Text,
        keywords -> Text,
        chain -> Text,
        field -> Text,
        trl -> Integer,
        stage -> Text,
        ip_items -> Text,
        transfer_modes -> Text,
        price_min_fen -> Nullable<BigInt>,
        price_max_fen -> Nullable<BigInt>,
        inventors -> Text,
        region -> Text,
        review_comment -> Nullable<Text>,
        submitted_at -> Nullable<Timestamp>,
        published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    demands (id) {
        id -> BigInt,
        org_id -> BigInt,
        created_by -> BigInt,
        status -> Text,
        title -> Text,
        description -> Text,
        indicators -> Text,
        contact -> Text,
        keywords -> Text,
        chain -> Text,
        field -> Text,
        trl_min -> Integer,
        budget_min_fen -> Nullable<BigInt>,
        budget_max_fen -> Nullable<BigInt>,
        cooperation_modes -> Text,
        region -> Text,
        valid_until -> Date,
        bottleneck -> Bool,
        challenge_bounty_fen -> Nullable<BigInt>,
        challenge_apply_by -> Nullable<Date>,
        challenge_criteria -> Nullable<Text>,
        challenge_max_winners -> Nullable<Integer>,
        review_comment -> Nullable<Text>,
        submitted_at -> Nullable<Timestamp>,
        published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    status_changes (id) {
        id -> BigInt,
        entity -> Text,
        entity_id -> BigInt,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor_id -> Nullable<BigInt>,
        comment -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    pool_entries (id) {
        id -> BigInt,
        year -> Integer,
        achievement_id -> BigInt,
        key_project -> Bool,
        note -> Nullable<Text>,
        added_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    search_outbox (id) {
        id -> BigInt,
        index_name -> Text,
        doc_id -> BigInt,
        attempts -> Integer,
        available_at -> Timestamp,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    deals (id) {
        id -> BigInt,
        demand_id -> BigInt,
        achievement_id -> BigInt,
        broker_id -> BigInt,
        stage -> Text,
        version -> Integer,
        lost_reason -> Nullable<Text>,
        next_follow_up -> Nullable<Date>,
        match_json -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    deal_events (id) {
        id -> BigInt,
        deal_id -> BigInt,
        actor_id -> BigInt,
        kind -> Text,
        from_stage -> Nullable<Text>,
        to_stage -> Nullable<Text>,
        note -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    contracts (id) {
        id -> BigInt,
        registration_no -> Nullable<Text>,
        kind -> Text,
        sub_kind -> Nullable<Text>,
        seller_org_id -> BigInt,
        buyer_org_id -> BigInt,
        seller_region -> Text,
        buyer_region -> Text,
        seller_kind -> Text,
        deal_id -> Nullable<BigInt>,
        achievement_id -> Nullable<BigInt>,
        demand_id -> Nullable<BigInt>,
        broker_id -> Nullable<BigInt>,
        signed_on -> Date,
        amount_fen -> BigInt,
        tech_amount_fen -> BigInt,
        total_amount_fen -> BigInt,
        total_tech_amount_fen -> BigInt,
        chain -> Text,
        field -> Text,
        registration_status -> Text,
        registered_on -> Nullable<Date>,
        registration_comment -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        consent -> Text,
        seller_confirmed_by -> Nullable<BigInt>,
        seller_confirmed_at -> Nullable<Timestamp>,
        buyer_confirmed_by -> Nullable<BigInt>,
        buyer_confirmed_at -> Nullable<Timestamp>,
        declined_by -> Nullable<BigInt>,
        declined_at -> Nullable<Timestamp>,
        decline_reason -> Nullable<Text>,
        registration_requested_by -> Nullable<BigInt>,
        registration_requested_at -> Nullable<Timestamp>,
        registered_by -> Nullable<BigInt>,
        verified_amount_fen -> Nullable<BigInt>,
        verified_tech_amount_fen -> Nullable<BigInt>,
        stat_status -> Text,
        stat_amount_fen -> BigInt,
        stat_tech_amount_fen -> BigInt,
        offering_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    contract_amendments (id) {
        id -> BigInt,
        contract_id -> BigInt,
        amount_delta_fen -> BigInt,
        tech_amount_delta_fen -> BigInt,
        reason -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        consent -> Text,
        seller_confirmed_by -> Nullable<BigInt>,
        seller_confirmed_at -> Nullable<Timestamp>,
        buyer_confirmed_by -> Nullable<BigInt>,
        buyer_confirmed_at -> Nullable<Timestamp>,
        declined_by -> Nullable<BigInt>,
        declined_at -> Nullable<Timestamp>,
        decline_reason -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (id) {
        id -> BigInt,
        user_id -> BigInt,
        idem_key -> Text,
        request_hash -> Text,
        response_json -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    stats_targets (id) {
        id -> BigInt,
        year -> Integer,
        amount_fen -> BigInt,
        updated_by -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    turnover_rollups (id) {
        id -> BigInt,
        basis -> Text,
        month -> Text,
        status -> Text,
        dim -> Text,
        value -> Text,
        contracts -> BigInt,
        amount_fen -> BigInt,
        tech_amount_fen -> BigInt,
    }
}

diesel::table! {
    stats_version (id) {
        id -> BigInt,
        version -> BigInt,
    }
}

diesel::table! {
    challenge_applications (id) {
        id -> BigInt,
        demand_id -> BigInt,
        org_id -> BigInt,
        applicant_id -> BigInt,
        status -> Text,
        proposal -> Text,
        achievement_id -> Nullable<BigInt>,
        team -> Text,
        budget_fen -> Nullable<BigInt>,
        decision_comment -> Nullable<Text>,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    challenge_milestones (id) {
        id -> BigInt,
        demand_id -> BigInt,
        application_id -> BigInt,
        title -> Text,
        due_on -> Date,
        share_bp -> Integer,
        amount_fen -> BigInt,
        status -> Text,
        report -> Nullable<Text>,
        review_comment -> Nullable<Text>,
        submissions -> Integer,
        created_by -> BigInt,
        submitted_at -> Nullable<Timestamp>,
        reviewed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    registry_sequences (id) {
        id -> BigInt,
        year -> Integer,
        point -> Text,
        last_seq -> BigInt,
    }
}

diesel::table! {
    offerings (id) {
        id -> BigInt,
        achievement_id -> BigInt,
        org_id -> BigInt,
        created_by -> BigInt,
        mode -> Text,
        status -> Text,
        transfer_mode -> Text,
        price_fen -> Nullable<BigInt>,
        reserve_price_fen -> Nullable<BigInt>,
        increment_fen -> BigInt,
        opens_at -> Timestamp,
        closes_at -> Timestamp,
        initial_closes_at -> Timestamp,
        terms -> Text,
        best_bid_id -> Nullable<BigInt>,
        best_amount_fen -> Nullable<BigInt>,
        bid_count -> BigInt,
        extensions -> Integer,
        winner_org_id -> Nullable<BigInt>,
        contract_id -> Nullable<BigInt>,
        closed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    offering_bids (id) {
        id -> BigInt,
        offering_id -> BigInt,
        org_id -> BigInt,
        bidder_id -> BigInt,
        kind -> Text,
        amount_fen -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    publicities (id) {
        id -> BigInt,
        achievement_id -> BigInt,
        org_id -> BigInt,
        buyer_org_id -> BigInt,
        price_fen -> BigInt,
        transfer_mode -> Text,
        days -> Integer,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    publicity_objections (id) {
        id -> BigInt,
        publicity_id -> BigInt,
        org_id -> BigInt,
        user_id -> BigInt,
        reason -> Text,
        status -> Text,
        answer -> Nullable<Text>,
        answered_by -> Nullable<BigInt>,
        answered_at -> Nullable<Timestamp>,
        resolution -> Nullable<Text>,
        closed_by -> Nullable<BigInt>,
        closed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    scheduled_jobs (id) {
        id -> BigInt,
        kind -> Text,
        ref_id -> BigInt,
        due_at -> Timestamp,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notification_events (id) {
        id -> BigInt,
        kind -> Text,
        audience -> Text,
        message -> Text,
        dedupe_key -> Nullable<Text>,
        attempts -> Integer,
        available_at -> Timestamp,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        title_zh -> Text,
        title_en -> Text,
        body_zh -> Text,
        body_en -> Text,
        link -> Text,
        dedupe_key -> Text,
        read_at -> Nullable<Timestamp>,
        digested_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notification_settings (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        mode -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    email_deliveries (id) {
        id -> BigInt,
        user_id -> BigInt,
        dedupe_key -> Text,
        to_email -> Text,
        subject -> Text,
        body -> Text,
        status -> Text,
        attempts -> Integer,
        available_at -> Timestamp,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    saved_searches (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        name -> Text,
        params -> Text,
        last_alert_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        alert -> Text,
    }
}

diesel::table! {
    saved_search_hits (id) {
        id -> BigInt,
        saved_search_id -> BigInt,
        listing_id -> BigInt,
        title -> Text,
        notified_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    alert_checks (id) {
        id -> BigInt,
        kind -> Text,
        listing_id -> BigInt,
        attempts -> Integer,
        available_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    bookmarks (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        listing_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    inquiries (id) {
        id -> BigInt,
        listing_kind -> Text,
        listing_id -> BigInt,
        asker_org_id -> BigInt,
        owner_org_id -> BigInt,
        created_by -> BigInt,
        last_message_at -> Timestamp,
        created_at -> Timestamp,
        deal_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    inquiry_messages (id) {
        id -> BigInt,
        inquiry_id -> BigInt,
        author_id -> BigInt,
        author_org_id -> BigInt,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(users -> orgs (org_id));
diesel::joinable!(saved_search_hits -> saved_searches (saved_search_id));
diesel::joinable!(inquiry_messages -> inquiries (inquiry_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(invitations -> orgs (org_id));
diesel::joinable!(achievements -> orgs (org_id));
diesel::joinable!(demands -> orgs (org_id));
diesel::joinable!(pool_entries -> achievements (achievement_id));
diesel::joinable!(deal_events -> deals (deal_id));
diesel::joinable!(contract_amendments -> contracts (contract_id));
diesel::joinable!(challenge_applications -> orgs (org_id));
diesel::joinable!(challenge_milestones -> challenge_applications (application_id));
diesel::joinable!(offerings -> achievements (achievement_id));
diesel::table! {
    file_blobs (sha256) {
        sha256 -> Text,
        size -> BigInt,
        touched_at -> Timestamp,
    }
}

diesel::table! {
    files (id) {
        id -> BigInt,
        sha256 -> Text,
        name -> Text,
        content_type -> Text,
        size -> BigInt,
        org_id -> BigInt,
        uploaded_by -> BigInt,
        thumbnail_sha256 -> Nullable<Text>,
        created_at -> Timestamp,
        released_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    file_attachments (id) {
        id -> BigInt,
        file_id -> BigInt,
        parent -> Text,
        parent_id -> BigInt,
        slot -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(offering_bids -> offerings (offering_id));
diesel::joinable!(publicities -> achievements (achievement_id));
diesel::joinable!(publicity_objections -> publicities (publicity_id));
diesel::joinable!(file_attachments -> files (file_id));
diesel::joinable!(notifications -> users (user_id));

diesel::table! {
    listing_views (listing_kind, listing_id, day) {
        listing_kind -> Text,
        listing_id -> BigInt,
        day -> Date,
        views -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    registry_sequences,
    orgs,
    users,
    refresh_tokens,
    invitations,
    audit_log,
    login_failures,
    achievements,
    demands,
    status_changes,
    pool_entries,
    search_outbox,
    saved_searches,
    saved_search_hits,
    alert_checks,
    bookmarks,
    inquiries,
    inquiry_messages,
    deals,
    deal_events,
    contracts,
    contract_amendments,
    idempotency_keys,
    stats_targets,
    turnover_rollups,
    stats_version,
    challenge_applications,
    challenge_milestones,
    offerings,
    offering_bids,
    publicities,
    publicity_objections,
    scheduled_jobs,
    file_blobs,
    files,
    file_attachments,
    notification_events,
    notifications,
    notification_settings,
    email_deliveries,
    listing_views,
);

diesel::allow_columns_to_appear_in_same_group_by_clause!(demands::chain, deals::stage);
