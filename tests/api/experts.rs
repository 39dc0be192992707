use crate::helpers::*;
use rocket::http::{Method, Status};
use serde_json::json;

#[tokio::test]
async fn staff_create_read_edit_and_search_experts() {
    let app = spawn_app().await;
    app.add_user("staff1", "staff", "").await;
    assert_eq!(app.login("staff1", PASSWORD).await, Status::Ok);
    let (status, created) = app
        .send_json(Method::Post, "/api/v1/experts", &profile_json("林晓"))
        .await;
    assert_eq!(status, Status::Created, "{created}");
    assert_eq!(created["code"], "E00001");
    let id = created["id"].as_i64().unwrap();
    let (_, page) = app
        .get_json("/api/v1/experts?discipline=450&q=%E6%9E%97")
        .await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["org_name"], "兰州大学");
    let mut changed = profile_json("林晓");
    changed["title"] = json!("副高");
    let (status, updated) = app
        .send_json(Method::Put, &format!("/api/v1/experts/{id}"), &changed)
        .await;
    assert_eq!(status, Status::Ok, "{updated}");
    assert_eq!(updated["title"], "副高");
    assert_eq!(
        updated["to_verify"],
        json!([]),
        "staff edits are verified edits"
    );
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let app = spawn_app().await;
    app.login_admin().await;
    for (field, value, expected) in [
        ("birth_year", json!("1850"), "birth_year"),
        ("email", json!("not-an-email"), "email"),
        ("disciplines", json!(["99999"]), "disciplines[0]"),
        ("org_id", json!("nowhere"), "org_id"),
        (
            "unavailable",
            json!(["2026-12-20..2026-12-01"]),
            "unavailable[0]",
        ),
    ] {
        let mut body = profile_json("错误");
        body[field] = value;
        let (status, err) = app.send_json(Method::Post, "/api/v1/experts", &body).await;
        assert_eq!(status, Status::UnprocessableEntity, "{field}: {err}");
        assert_eq!(err["error"]["field"], expected, "{err}");
    }
    let (_, page) = app.get_json("/api/v1/experts").await;
    assert_eq!(page["total"], 0, "nothing was written");
}

#[tokio::test]
async fn expert_edits_own_profile_and_title_change_is_flagged_for_staff() {
    let app = spawn_app().await;
    app.login_admin().await;
    let (_, a) = app
        .send_json(Method::Post, "/api/v1/experts", &profile_json("甲"))
        .await;
    let (_, b) = app
        .send_json(Method::Post, "/api/v1/experts", &profile_json("乙"))
        .await;
    app.logout().await;
    app.add_user("jia", "expert", a["code"].as_str().unwrap())
        .await;
    assert_eq!(app.login("jia", PASSWORD).await, Status::Ok);
    let (status, me) = app.get_json("/api/v1/me").await;
    assert_eq!((status, me["name"].as_str()), (Status::Ok, Some("甲")));
    let mut edit = profile_json("甲");
    edit["title"] = json!("副高");
    edit["keywords_zh"] = json!(["湿法冶金"]);
    let (status, after) = app.send_json(Method::Put, "/api/v1/me", &edit).await;
    assert_eq!(status, Status::Ok, "{after}");
    assert_eq!(after["to_verify"], json!(["title"]));
    assert_eq!(after["code"], a["code"], "experts cannot change their code");
    // Nobody else's record, and no staff list.
    assert_eq!(
        app.get_json(&format!("/api/v1/experts/{}", b["id"]))
            .await
            .0,
        Status::Forbidden
    );
    assert_eq!(
        app.send_json(
            Method::Put,
            &format!("/api/v1/experts/{}", b["id"]),
            &profile_json("乙")
        )
        .await
        .0,
        Status::Forbidden
    );
    assert_eq!(app.get_json("/api/v1/experts").await.0, Status::Forbidden);
    app.logout().await;
    app.login_admin().await;
    let (_, flagged) = app.get_json("/api/v1/experts?to_verify=true").await;
    assert_eq!(flagged["total"], 1);
}

#[tokio::test]
async fn every_change_is_audited_with_before_and_after() {
    let app = spawn_app().await;
    app.login_admin().await;
    let (_, e) = app
        .send_json(Method::Post, "/api/v1/experts", &profile_json("丙"))
        .await;
    let mut edit = profile_json("丙");
    edit["phone"] = json!("13900000000");
    app.send_json(Method::Put, &format!("/api/v1/experts/{}", e["id"]), &edit)
        .await;
    let (status, log) = app
        .get_json(&format!(
            "/api/v1/audit?entity={}",
            e["code"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(log["total"], 2);
    let update = &log["items"][0];
    assert_eq!(update["action"], "expert.update");
    assert_eq!(update["actor"], "admin");
    assert!(update["before_json"]
        .as_str()
        .unwrap()
        .contains("13800000000"));
    assert!(update["after_json"]
        .as_str()
        .unwrap()
        .contains("13900000000"));
    // Supervisors read the log; staff do not.
    app.logout().await;
    app.add_user("sup", "supervisor", "").await;
    app.add_user("staffer", "staff", "").await;
    app.login("sup", PASSWORD).await;
    assert_eq!(
        app.get_json("/api/v1/audit?action=expert").await.0,
        Status::Ok
    );
    assert_eq!(
        app.send_json(Method::Post, "/api/v1/experts", &profile_json("丁"))
            .await
            .0,
        Status::Forbidden
    );
    app.logout().await;
    app.login("staffer", PASSWORD).await;
    assert_eq!(app.get_json("/api/v1/audit").await.0, Status::Forbidden);
}

#[tokio::test]
async fn admin_creates_accounts_and_links_an_expert() {
    let app = spawn_app().await;
    app.login_admin().await;
    let (_, e) = app
        .send_json(Method::Post, "/api/v1/experts", &profile_json("戊"))
        .await;
    let (status, weak) = app
        .send_json(
            Method::Post,
            "/api/v1/users",
            &json!({"username": "user1", "password": "short", "role": "staff"}),
        )
        .await;
    assert_eq!(
        (status, weak["error"]["field"].as_str()),
        (Status::UnprocessableEntity, Some("password"))
    );
    let (status, user) = app.send_json(Method::Post, "/api/v1/users", &json!({"username": "wuxin", "password": PASSWORD, "role": "expert", "expert_code": e["code"]})).await;
    assert_eq!(status, Status::Created, "{user}");
    assert_eq!(user["expert_id"], e["id"]);
    let (status, dup) = app
        .send_json(
            Method::Post,
            "/api/v1/users",
            &json!({"username": "wuxin", "password": PASSWORD, "role": "staff"}),
        )
        .await;
    assert_eq!(
        (status, dup["error"]["field"].as_str()),
        (Status::Conflict, Some("username"))
    );
    let (status, _) = app
        .send_json(
            Method::Patch,
            &format!("/api/v1/users/{}", user["id"]),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(status, Status::Ok);
    app.logout().await;
    assert_eq!(
        app.login("wuxin", PASSWORD).await,
        Status::Unauthorized,
        "deactivated accounts cannot log in"
    );
}

#[tokio::test]
async fn the_expert_list_pages_and_the_form_reports_errors_in_place() {
    let app = spawn_app().await;
    app.login_admin().await;
    for i in 0..3 {
        app.send_json(
            Method::Post,
            "/api/v1/experts",
            &profile_json(&format!("名{i}")),
        )
        .await;
    }
    let (_, page) = app.get_json("/api/v1/experts?per_page=2&page=2").await;
    assert_eq!(
        (
            page["total"].as_i64(),
            page["items"].as_array().unwrap().len()
        ),
        (Some(3), 1)
    );
    let html = app
        .client
        .get("/experts?per_page=2")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(html.contains("E00001") && html.contains("page=2"));
    let form = app
        .client
        .get("/experts/new")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(form.contains("name=\"csrf\" value=\""), "{form}");
    let token = csrf_token(&form);
    // The pickers: the employer by name, disciplines one per row (by code or by name).
    let body = format!("csrf={token}&name=%E5%B7%B1&gender=M&birth_year=1970&title=%E6%AD%A3%E9%AB%98&org=%E5%85%B0%E5%B7%9E%E5%A4%A7%E5%AD%A6&region=province&disciplines%5B0%5D=12345&disciplines%5B1%5D=&types=technical");
    let response = app
        .client
        .post("/experts")
        .header(rocket::http::ContentType::Form)
        .body(body)
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::UnprocessableEntity);
    let html = response.into_string().await.unwrap();
    assert!(
        html.contains("学科（第 1 行）") && html.contains("class=\"invalid\""),
        "the wrong discipline is named in words and marked: {html}"
    );
    assert!(
        html.contains("value=\"兰州大学\""),
        "the form comes back as typed"
    );
    // Picked by name, the discipline and employer are stored as codes; a past employer row
    // goes into the work history.
    let body = format!("csrf={token}&name=%E5%B7%B1&gender=M&birth_year=1970&title=%E6%AD%A3%E9%AB%98&org=%E5%85%B0%E5%B7%9E%E5%A4%A7%E5%AD%A6&region=province&disciplines%5B0%5D=45020%20x&jobs%5B0%5D.org=lzjtu&jobs%5B0%5D.from=2001&jobs%5B0%5D.to=2005&away%5B0%5D.from=2026-12-01&away%5B0%5D.to=2026-12-02&types=technical");
    let response = app
        .client
        .post("/experts")
        .header(rocket::http::ContentType::Form)
        .body(body)
        .dispatch()
        .await;
    assert_eq!(
        response.status(),
        Status::SeeOther,
        "{:?}",
        response.into_string().await
    );
    let location = response.headers().get_one("Location").unwrap().to_string();
    let (_, saved) = app.get_json(&format!("/api/v1{location}")).await;
    assert_eq!(saved["org_id"], "lzu", "{saved}");
    assert_eq!(saved["disciplines"][0], "45020");
    assert_eq!(saved["employments"][0]["org_id"], "lzjtu");
    assert_eq!(saved["unavailable"][0]["from"], "2026-12-01");
}

#[tokio::test]
async fn the_accounts_page_creates_and_updates_accounts_keeping_the_expert_link() {
    let app = spawn_app().await;
    app.login_admin().await;
    let (_, e) = app
        .send_json(Method::Post, "/api/v1/experts", &profile_json("辛"))
        .await;
    let page = app
        .client
        .get("/admin/users")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    let token = csrf_token(&page);
    let form = format!(
        "csrf={token}&username=xin&password={PASSWORD}&role=expert&expert_code={}",
        e["code"].as_str().unwrap()
    );
    let created = app
        .client
        .post("/admin/users")
        .header(rocket::http::ContentType::Form)
        .body(form)
        .dispatch()
        .await;
    assert_eq!(created.status(), Status::SeeOther);
    let (_, users) = app.get_json("/api/v1/users").await;
    let xin = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "xin")
        .unwrap()
        .clone();
    assert_eq!(xin["expert_id"], e["id"]);
    // Saving the row as shown (linked code prefilled) keeps the link and changes the flag.
    let page = app
        .client
        .get("/admin/users")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(page.contains(&format!("value=\"{}\"", e["code"].as_str().unwrap())));
    let form = format!(
        "csrf={token}&role=expert&expert_code={}&active=false&password=",
        e["code"].as_str().unwrap()
    );
    let updated = app
        .client
        .post(format!("/admin/users/{}", xin["id"]))
        .header(rocket::http::ContentType::Form)
        .body(form)
        .dispatch()
        .await;
    assert_eq!(updated.status(), Status::SeeOther);
    let (_, users) = app.get_json("/api/v1/users").await;
    let xin = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "xin")
        .unwrap()
        .clone();
    assert_eq!(
        (xin["expert_id"].clone(), xin["active"].clone()),
        (e["id"].clone(), json!(false))
    );
}

/// An expert's own change to title, types, region or birth year waits for staff: the record
/// (and so every draw) keeps the verified values until staff accept; a rejection drops it.
#[tokio::test]
async fn self_edited_eligibility_attributes_wait_for_verification() {
    let app = spawn_app().await;
    app.login_admin().await;
    let mut p = profile_json("核实");
    p["title"] = json!("副高");
    let (_, e) = app.send_json(Method::Post, "/api/v1/experts", &p).await;
    let id = e["id"].clone();
    app.add_user("heshi", "expert", e["code"].as_str().unwrap())
        .await;
    app.logout().await;
    assert_eq!(app.login("heshi", PASSWORD).await, Status::Ok);
    let mut mine = p.clone();
    mine["title"] = json!("正高");
    set_region(&mut mine, "outside");
    mine["types"] = json!(["technical", "finance"]);
    mine["summary"] = json!("新的研究方向");
    let (status, after) = app.send_json(Method::Put, "/api/v1/me", &mine).await;
    assert_eq!(status, Status::Ok, "{after}");
    assert_eq!(after["title"], "正高", "the expert sees their proposal");
    assert_eq!(
        after["to_verify"],
        json!(["title", "types", "region", "org_id"])
    );
    app.logout().await;
    app.login_admin().await;
    let (_, staff_view) = app.get_json(&format!("/api/v1/experts/{id}")).await;
    assert_eq!(
        staff_view["title"], "副高",
        "the record keeps the verified title"
    );
    assert_eq!(staff_view["region"], "province");
    assert_eq!(
        staff_view["summary"], "新的研究方向",
        "other fields change at once"
    );
    assert_eq!(staff_view["pending"]["title"], "正高");
    let page = app
        .client
        .get(format!("/experts/{id}"))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(
        page.contains("副高") && page.contains("核实无误，采用"),
        "staff see old → new"
    );
    let (status, verified) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/experts/{id}/verification"),
            &json!({"decision": "accept"}),
        )
        .await;
    assert_eq!(status, Status::Ok, "{verified}");
    assert_eq!(verified["title"], "正高");
    assert_eq!(verified["region"], "outside");
    assert_eq!(verified["to_verify"], json!([]));
    let (status, _) = app
        .send_json(
            Method::Post,
            &format!("/api/v1/experts/{id}/verification"),
            &json!({"decision": "reject"}),
        )
        .await;
    assert_eq!(status, Status::Conflict, "nothing waits any more");
}
